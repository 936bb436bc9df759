# Container Apps in the network: the web (gunicorn), the worker (jobs, email) and a job
# that migrates the platform and every tenant before a release takes traffic
# (`az containerapp job start --name <migrate job>`, docs/operations.md).
resource "azurerm_container_app_environment" "main" {
  name                           = "cae-${local.prefix}"
  location                       = azurerm_resource_group.main.location
  resource_group_name            = azurerm_resource_group.main.name
  log_analytics_workspace_id     = azurerm_log_analytics_workspace.main.id
  infrastructure_subnet_id       = azurerm_subnet.apps.id
  zone_redundancy_enabled        = true
  internal_load_balancer_enabled = false
  workload_profile {
    name                  = "Consumption"
    workload_profile_type = "Consumption"
  }
  tags = local.tags
}

resource "azurerm_container_app_environment_storage" "data" {
  for_each                     = azurerm_storage_share.data
  name                         = each.key
  container_app_environment_id = azurerm_container_app_environment.main.id
  account_name                 = azurerm_storage_account.main.name
  share_name                   = each.value.name
  access_key                   = azurerm_storage_account.main.primary_access_key
  access_mode                  = "ReadWrite"
}

locals {
  secret_env = {
    SECRET_KEY                    = "secret-key"
    WIJKNET_SECRETS_KEY           = "secrets-key"
    DATABASE_URL                  = "database-url"
    WIJKNET_MAIL_URL              = "mail-url"
    SENTRY_DSN                    = "sentry-dsn"
    WIJKNET_STRIPE_SECRET_KEY     = "stripe-secret-key"
    WIJKNET_STRIPE_WEBHOOK_SECRET = "stripe-webhook-secret"
  }
  plain_env = {
    WIJKNET_ENV         = "production"
    WIJKNET_BASE_DOMAIN = var.base_domain
    WIJKNET_PUBLIC_URL  = "https://${var.base_domain}"
    WIJKNET_RELEASE     = var.release
    WIJKNET_PROXY_HOPS  = "2" # Front Door, then the Container Apps ingress
    WIJKNET_EXPORT_DIR  = "/data/exports"
    WIJKNET_UPLOAD_DIR  = "/data/uploads"
    FORWARDED_ALLOW_IPS = "*" # only the ingress can reach the container
  }
  apps = {
    web    = { command = [], cpu = 1.0, memory = "2Gi" }
    worker = { command = ["wijknet", "worker"], cpu = 0.5, memory = "1Gi" }
  }
}

resource "azurerm_container_app" "main" {
  for_each                     = local.apps
  name                         = "ca-${local.prefix}-${each.key}"
  container_app_environment_id = azurerm_container_app_environment.main.id
  resource_group_name          = azurerm_resource_group.main.name
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }
  dynamic "secret" {
    for_each = local.secret_env
    content {
      name                = secret.value
      key_vault_secret_id = azurerm_key_vault_secret.app[secret.value].versionless_id
      identity            = azurerm_user_assigned_identity.app.id
    }
  }
  dynamic "ingress" {
    for_each = each.key == "web" ? [1] : []
    content {
      external_enabled = true
      target_port      = 8000
      transport        = "http"
      traffic_weight {
        latest_revision = true
        percentage      = 100
      }
    }
  }
  template {
    min_replicas = each.key == "web" ? var.web_replicas.min : 1
    max_replicas = each.key == "web" ? var.web_replicas.max : 3
    dynamic "volume" {
      for_each = azurerm_container_app_environment_storage.data
      content {
        name         = volume.key
        storage_type = "AzureFile"
        storage_name = volume.value.name
      }
    }
    container {
      name    = each.key
      image   = var.image
      command = length(each.value.command) > 0 ? each.value.command : null
      cpu     = each.value.cpu
      memory  = each.value.memory
      dynamic "env" {
        for_each = local.plain_env
        content {
          name  = env.key
          value = env.value
        }
      }
      dynamic "env" {
        for_each = local.secret_env
        content {
          name        = env.key
          secret_name = env.value
        }
      }
      dynamic "volume_mounts" {
        for_each = azurerm_container_app_environment_storage.data
        content {
          name = volume_mounts.key
          path = "/data/${volume_mounts.key}"
        }
      }
      dynamic "liveness_probe" {
        for_each = each.key == "web" ? [1] : []
        content {
          transport = "HTTP"
          port      = 8000
          path      = "/healthz"
        }
      }
      dynamic "readiness_probe" {
        for_each = each.key == "web" ? [1] : []
        content {
          transport = "HTTP"
          port      = 8000
          path      = "/readyz"
        }
      }
    }
  }
  tags       = local.tags
  depends_on = [azurerm_role_assignment.app_secrets]
}

resource "azurerm_container_app_job" "migrate" {
  name                         = "caj-${local.prefix}-migrate"
  location                     = azurerm_resource_group.main.location
  resource_group_name          = azurerm_resource_group.main.name
  container_app_environment_id = azurerm_container_app_environment.main.id
  workload_profile_name        = "Consumption"
  replica_timeout_in_seconds   = 3600
  replica_retry_limit          = 1
  manual_trigger_config {
    parallelism              = 1
    replica_completion_count = 1
  }
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }
  secret {
    name                = "database-url"
    key_vault_secret_id = azurerm_key_vault_secret.app["database-url"].versionless_id
    identity            = azurerm_user_assigned_identity.app.id
  }
  secret {
    name                = "secret-key"
    key_vault_secret_id = azurerm_key_vault_secret.app["secret-key"].versionless_id
    identity            = azurerm_user_assigned_identity.app.id
  }
  secret {
    name                = "secrets-key"
    key_vault_secret_id = azurerm_key_vault_secret.app["secrets-key"].versionless_id
    identity            = azurerm_user_assigned_identity.app.id
  }
  secret {
    name                = "mail-url"
    key_vault_secret_id = azurerm_key_vault_secret.app["mail-url"].versionless_id
    identity            = azurerm_user_assigned_identity.app.id
  }
  template {
    container {
      name    = "migrate"
      image   = var.image
      command = ["wijknet", "db", "upgrade", "--jobs", "4"]
      cpu     = 1.0
      memory  = "2Gi"
      env {
        name        = "DATABASE_URL"
        secret_name = "database-url"
      }
      env {
        name        = "SECRET_KEY"
        secret_name = "secret-key"
      }
      env {
        name        = "WIJKNET_SECRETS_KEY"
        secret_name = "secrets-key"
      }
      env {
        name        = "WIJKNET_MAIL_URL"
        secret_name = "mail-url"
      }
      env {
        name  = "WIJKNET_ENV"
        value = "production"
      }
      env {
        name  = "WIJKNET_BASE_DOMAIN"
        value = var.base_domain
      }
    }
  }
  tags       = local.tags
  depends_on = [azurerm_role_assignment.app_secrets]
}
