output "resource_group" {
  description = "The resource group that holds everything."
  value       = azurerm_resource_group.main.name
}

output "frontdoor_endpoint" {
  description = "Front Door's own host name (the DNS records point here)."
  value       = azurerm_cdn_frontdoor_endpoint.main.host_name
}

output "name_servers" {
  description = "Delegate the base domain to these name servers."
  value       = azurerm_dns_zone.main.name_servers
}

output "database_host" {
  description = "Host of the PostgreSQL server (single) or the elastic cluster's coordinator (citus); private."
  value       = local.database_host
}

output "key_vault" {
  description = "Key Vault with the secrets (rotate them there; docs/operations.md)."
  value       = azurerm_key_vault.main.name
}

output "migrate_job" {
  description = "Start before a release takes traffic: az containerapp job start -g <resource_group> -n <migrate_job>."
  value       = azurerm_container_app_job.migrate.name
}

output "web_app" {
  description = "The web container app (gunicorn)."
  value       = azurerm_container_app.main["web"].name
}

output "single_server_host" {
  description = "Host of the single PostgreSQL server while it exists (also during a move to citus); null without it."
  value       = length(azurerm_postgresql_flexible_server.main) > 0 ? azurerm_postgresql_flexible_server.main[0].fqdn : null
}
