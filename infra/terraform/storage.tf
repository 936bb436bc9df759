# Exports (written before a lab is deleted) and uploaded photos: file shares that every web
# and worker container mounts (WIJKNET_EXPORT_DIR, WIJKNET_UPLOAD_DIR); private, reached
# from the network through a private endpoint, geo-redundant, with soft delete.
resource "azurerm_storage_account" "main" {
  name                            = "st${local.compact}"
  location                        = azurerm_resource_group.main.location
  resource_group_name             = azurerm_resource_group.main.name
  account_tier                    = "Standard"
  account_replication_type        = "RAGZRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  public_network_access_enabled   = false
  allow_nested_items_to_be_public = false
  #checkov:skip=CKV2_AZURE_40:Container Apps mount Azure Files with the account key only; the key stays in the environment's storage definition, the account has no public access
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys with infrastructure (double) encryption; customer-managed keys add a key lifecycle we do not run yet
  #checkov:skip=CKV_AZURE_33:No queue service is used (only file shares)
  shared_access_key_enabled         = true
  infrastructure_encryption_enabled = true
  local_user_enabled                = false
  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }
  share_properties {
    retention_policy {
      days = 30
    }
    smb {
      versions                        = ["SMB3.1.1"]
      authentication_types            = ["NTLMv2"]
      channel_encryption_type         = ["AES-256-GCM"]
      kerberos_ticket_encryption_type = ["AES-256"]
    }
  }
  blob_properties {
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }
  sas_policy {
    expiration_period = "01.00:00:00"
  }
  tags = local.tags
}

resource "azurerm_storage_share" "data" {
  for_each           = toset(["exports", "uploads"])
  name               = each.key
  storage_account_id = azurerm_storage_account.main.id
  quota              = 100
}

resource "azurerm_private_endpoint" "storage" {
  name                = "pe-${local.prefix}-file"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  subnet_id           = azurerm_subnet.endpoints.id
  private_service_connection {
    name                           = "file"
    private_connection_resource_id = azurerm_storage_account.main.id
    subresource_names              = ["file"]
    is_manual_connection           = false
  }
  private_dns_zone_group {
    name                 = "file"
    private_dns_zone_ids = [azurerm_private_dns_zone.zones["privatelink.file.core.windows.net"].id]
  }
  tags = local.tags
}

