# Key Vault holds every secret; the apps read them with their managed identity.
resource "azurerm_key_vault" "main" {
  #checkov:skip=CKV_AZURE_189:The public endpoint exists only when admin_ip_ranges is set (the deployer writes secrets from there) and is then closed to every other address (network_acls default Deny); the apps use the private endpoint
  name                          = "kv-${local.compact}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium"
  enable_rbac_authorization     = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = length(var.admin_ip_ranges) > 0
  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
    ip_rules       = var.admin_ip_ranges
  }
  tags = local.tags
}

resource "azurerm_private_endpoint" "key_vault" {
  name                = "pe-${local.prefix}-kv"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.endpoints.id
  private_service_connection {
    name                           = "kv"
    private_connection_resource_id = azurerm_key_vault.main.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
  private_dns_zone_group {
    name                 = "kv"
    private_dns_zone_ids = [azurerm_private_dns_zone.zones["privatelink.vaultcore.azure.net"].id]
  }
  tags = local.tags
}

resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "app_secrets" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
}

resource "random_password" "secret_key" {
  length  = 64
  special = false
}

resource "random_password" "database" {
  length  = 40
  special = false
}

resource "random_bytes" "secrets_key" {
  length = 32 # a Fernet key: 32 bytes, url-safe base64 (WIJKNET_SECRETS_KEY)
}

locals {
  database_host = var.database_mode == "citus" ? "${local.prefix}-citus.postgres.database.azure.com" : azurerm_postgresql_flexible_server.main[0].fqdn
  secrets = {
    "secret-key"            = random_password.secret_key.result
    "secrets-key"           = replace(replace(random_bytes.secrets_key.base64, "+", "-"), "/", "_")
    "database-url"          = "postgresql://wijknet:${random_password.database.result}@${local.database_host}:5432/wijknet?sslmode=require"
    "mail-url"              = var.mail_url
    "sentry-dsn"            = var.sentry_dsn
    "stripe-secret-key"     = var.stripe_secret_key
    "stripe-webhook-secret" = var.stripe_webhook_secret
  }
}

resource "azurerm_key_vault_secret" "app" {
  for_each        = nonsensitive(toset(keys(local.secrets)))
  name            = each.key
  value           = local.secrets[each.key]
  key_vault_id    = azurerm_key_vault.main.id
  content_type    = "text/plain"
  expiration_date = var.secret_expiry
  depends_on      = [azurerm_role_assignment.deployer_secrets]
}
