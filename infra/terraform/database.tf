# database_mode = "single": one PostgreSQL 15 Flexible Server in the delegated subnet (no
# public address), zone-redundant high availability, 35 days of point-in-time restore and
# geo-redundant backups (restore in the paired region, North Europe).
resource "azurerm_postgresql_flexible_server" "main" {
  #checkov:skip=CKV2_AZURE_57:Private access by VNet integration (delegated subnet, no public address, private DNS zone); a private endpoint is the other way to the same end and cannot be combined with it
  count                         = var.database_mode == "single" || var.keep_single_server ? 1 : 0
  name                          = "psql-${local.prefix}"
  location                      = azurerm_resource_group.main.location
  resource_group_name           = azurerm_resource_group.main.name
  version                       = "15"
  sku_name                      = var.postgres_sku
  storage_mb                    = var.postgres_storage_mb
  auto_grow_enabled             = true
  delegated_subnet_id           = azurerm_subnet.database.id
  private_dns_zone_id           = azurerm_private_dns_zone.zones["privatelink.postgres.database.azure.com"].id
  public_network_access_enabled = false
  administrator_login           = "wijknet"
  administrator_password        = random_password.database.result
  backup_retention_days         = 35
  geo_redundant_backup_enabled  = true
  zone                          = "1"
  high_availability {
    mode                      = "ZoneRedundant"
    standby_availability_zone = "2"
  }
  maintenance_window {
    day_of_week  = 0
    start_hour   = 3
    start_minute = 0
  }
  tags       = local.tags
  depends_on = [azurerm_private_dns_zone_virtual_network_link.zones]
}

resource "azurerm_postgresql_flexible_server_database" "main" {
  count     = var.database_mode == "single" || var.keep_single_server ? 1 : 0
  name      = "wijknet"
  server_id = azurerm_postgresql_flexible_server.main[0].id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# Server settings: connections logged, TLS only, a bound on idle transactions.
resource "azurerm_postgresql_flexible_server_configuration" "main" {
  for_each = var.database_mode == "single" || var.keep_single_server ? {
    "log_checkpoints"                     = "on"
    "log_connections"                     = "on"
    "connection_throttle.enable"          = "on"
    "require_secure_transport"            = "on"
    "idle_in_transaction_session_timeout" = "60000"
  } : {}
  name      = each.key
  server_id = azurerm_postgresql_flexible_server.main[0].id
  value     = each.value
}

# database_mode = "citus": an Azure Database for PostgreSQL elastic cluster (managed Citus;
# Cosmos DB for PostgreSQL takes no new projects) with schema-based sharding on, through
# AzAPI where azurerm has no cluster setting. docs/operations.md describes moving existing
# tenant schemas onto it.
resource "azapi_resource" "citus" {
  count     = var.database_mode == "citus" ? 1 : 0
  type      = "Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01"
  name      = "${local.prefix}-citus"
  parent_id = azurerm_resource_group.main.id
  location  = azurerm_resource_group.main.location
  tags      = local.tags
  body = {
    sku = { name = var.postgres_sku, tier = "GeneralPurpose" }
    properties = {
      version                    = "15"
      administratorLogin         = "wijknet"
      administratorLoginPassword = random_password.database.result
      cluster                    = { clusterSize = var.citus_nodes }
      storage                    = { storageSizeGB = floor(var.postgres_storage_mb / 1024), autoGrow = "Enabled" }
      backup                     = { backupRetentionDays = 35, geoRedundantBackup = "Enabled" }
      highAvailability           = { mode = "ZoneRedundant" }
      network = {
        publicNetworkAccess         = "Disabled"
        delegatedSubnetResourceId   = azurerm_subnet.database.id
        privateDnsZoneArmResourceId = azurerm_private_dns_zone.zones["privatelink.postgres.database.azure.com"].id
      }
    }
  }
  depends_on = [azurerm_private_dns_zone_virtual_network_link.zones]
}

resource "azapi_resource" "citus_settings" {
  for_each = var.database_mode == "citus" ? {
    # Off for the server: wijknet turns it on for each lab's schema, in the transaction that
    # makes it; on for every session, platform migrations would make distributed schemas too
    # (issue 15, F4/F5; `wijknet db upgrade` refuses to run with it on). docs/scale-out.md.
    "citus.enable_schema_based_sharding" = "off"
    # Worker connections are kept per user; tenant roles would pile them up (issue 15, F6).
    "citus.max_cached_conns_per_worker" = "0"
    "require_secure_transport"          = "on"
    "log_connections"                   = "on"
    "log_checkpoints"                   = "on"
  } : {}
  type      = "Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01"
  name      = each.key
  parent_id = azapi_resource.citus[0].id
  body = {
    properties = { value = each.value, source = "user-override" }
  }
}
