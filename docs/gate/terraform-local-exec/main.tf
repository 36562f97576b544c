# Provisioning gate with Terraform's built-in terraform_data (no provider to install; the same
# works with a null_resource): the gate's local-exec runs `ftgate check --policy enforce`, whose
# non-zero exit fails the apply, so the training job that depends on it is never created.

terraform {
  required_version = ">= 1.4"
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

resource "terraform_data" "ftgate_gate" {
  # Ask again whenever the profile or the server changes.
  triggers_replace = [filesha256(var.profile_file), var.ftgate_server]

  provisioner "local-exec" {
    command = "ftgate check \"$PROFILE\" --server \"$SERVER\" --policy enforce --timeout 20"
    environment = {
      PROFILE = abspath(var.profile_file)
      SERVER  = var.ftgate_server
    }
  }
}

resource "terraform_data" "fine_tuning_job" {
  depends_on = [terraform_data.ftgate_gate]
  input      = abspath(var.profile_file)

  provisioner "local-exec" {
    command = "echo submitting the GPU training job for ${self.input}"
  }
}
