variable "name" {
  description = "Short name for every resource (letters and digits), e.g. wijknet."
  type        = string
  default     = "wijknet"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,12}$", var.name))
    error_message = "3 to 13 lower-case letters and digits, starting with a letter."
  }
}

variable "environment" {
  description = "prod, acc or test: part of every name."
  type        = string
  default     = "prod"
}

variable "location" {
  description = "Azure region: West Europe is Amsterdam (data stays in the Netherlands)."
  type        = string
  default     = "westeurope"
}

variable "base_domain" {
  description = "The network's domain; labs are served at <slug>.<base_domain> (WIJKNET_BASE_DOMAIN)."
  type        = string
}

variable "image" {
  description = "The wijknet image (Dockerfile), by tag or digest, e.g. registry.example/wijknet:2026.11.24."
  type        = string
}

variable "release" {
  description = "Release name for Sentry (WIJKNET_RELEASE), e.g. the image tag."
  type        = string
}

variable "database_mode" {
  description = "\"single\": one PostgreSQL Flexible Server (zone-redundant HA). \"citus\": an Azure Database for PostgreSQL elastic cluster (managed Citus) with schema-based sharding, for when one server is outgrown (docs/operations.md)."
  type        = string
  default     = "single"
  validation {
    condition     = contains(["single", "citus"], var.database_mode)
    error_message = "database_mode is \"single\" or \"citus\"."
  }
}

variable "keep_single_server" {
  description = "With database_mode = \"citus\": keep the single server too, while its labs are moved onto the cluster (docs/operations.md). Set false once the move is done."
  type        = bool
  default     = false
}

variable "postgres_sku" {
  description = "Compute of the PostgreSQL server (each node in citus mode)."
  type        = string
  default     = "GP_Standard_D4ds_v5"
}

variable "postgres_storage_mb" {
  description = "Storage of the PostgreSQL server in MB."
  type        = number
  default     = 131072
}

variable "citus_nodes" {
  description = "Number of nodes of the elastic cluster (database_mode = \"citus\")."
  type        = number
  default     = 3
}

variable "web_replicas" {
  description = "Least and most web containers: { min, max }."
  type        = object({ min = number, max = number })
  default     = { min = 2, max = 10 }
}

variable "sentry_dsn" {
  description = "Sentry DSN (SENTRY_DSN); empty: no Sentry. Stored in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "mail_url" {
  description = "SMTP address with credentials (WIJKNET_MAIL_URL). Stored in Key Vault."
  type        = string
  sensitive   = true
}

variable "stripe_secret_key" {
  description = "Stripe secret key (WIJKNET_STRIPE_SECRET_KEY). Stored in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "stripe_webhook_secret" {
  description = "Signing secret of Stripe's webhook (WIJKNET_STRIPE_WEBHOOK_SECRET). Stored in Key Vault."
  type        = string
  default     = ""
  sensitive   = true
}

variable "secret_expiry" {
  description = "When the Key Vault secrets must be rotated (RFC 3339); rotate before (docs/operations.md)."
  type        = string
  default     = "2027-11-30T00:00:00Z"
}

variable "admin_ip_ranges" {
  description = "Addresses allowed to reach Key Vault from outside the network (operators), CIDR."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = { service = "wijknet" }
}
