# Provisioning gate with an `external` data source and a `null_resource` precondition: the plan
# fails, and nothing below is created, unless ftgate's verdict is VERDICT_FINE_TUNE.
# ftgate-external.sh (beside this file) runs `ftgate check --policy enforce --output json`.

terraform {
  required_version = ">= 1.3"
  required_providers {
    external = {
      source  = "hashicorp/external"
      version = "~> 2.3"
    }
    null = {
      source  = "hashicorp/null"
      version = "~> 3.2"
    }
  }
}

variable "ftgate_server" {
  description = "HOST:PORT of the ftgate gRPC service"
  type        = string
  default     = "ftgate.ftgate.svc.cluster.local:50051"
}

variable "profile_file" {
  description = "The project profile (YAML or JSON, proto3 JSON shape)"
  type        = string
  default     = "profile.yaml"
}

data "external" "ftgate" {
  program = ["sh", "${path.module}/ftgate-external.sh"]
  query = {
    profile = abspath(var.profile_file)
    server  = var.ftgate_server
  }
}

resource "null_resource" "fine_tuning_job" {
  # A new decision (new profile, new rules) replaces the job.
  triggers = {
    decision_id = data.external.ftgate.result.decision_id
  }

  lifecycle {
    precondition {
      condition     = data.external.ftgate.result.allowed == "true"
      error_message = "ftgate does not allow this fine-tuning job: ${data.external.ftgate.result.verdict} ${data.external.ftgate.result.outcome} (decision ${data.external.ftgate.result.decision_id}; missing: ${data.external.ftgate.result.missing_fields})."
    }
  }

  provisioner "local-exec" {
    command = "echo submitting the GPU training job, ftgate decision ${data.external.ftgate.result.decision_id}"
  }
}

output "ftgate_decision_id" {
  value = data.external.ftgate.result.decision_id
}
