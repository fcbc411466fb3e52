# Log export of CockroachDB Cloud cluster staging-aws to Amazon CloudWatch,
# as it was live when `crdb-logexport export terraform` wrote this.
# After `terraform init`, `terraform plan` imports what exists (the import
# blocks) and should propose no other change. Credentials come from the
# environment: the AWS SDK's usual chain, and COCKROACH_API_KEY.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    cockroach = {
      source  = "cockroachdb/cockroach"
      version = "~> 1.12"
    }
  }
}

# One configuration per region the cluster's logs go to. IAM is global:
# its resources use the first.
provider "aws" {
  alias  = "us_east_2"
  region = "us-east-2"
}

provider "cockroach" {
  # The API key comes from COCKROACH_API_KEY (the endpoint from
  # COCKROACH_SERVER when it is not the public one); it is never written here.
}

# What teams usually name themselves; the defaults are the live values.

variable "log_group_name" {
  description = "CloudWatch log group the cluster's logs go to, the same name in every destination region"
  type        = string
  default     = "staging-logs"
}

variable "retention_in_days" {
  description = "Days CloudWatch keeps log events; 0 keeps them forever"
  type        = number
  default     = 90
}

variable "role_name" {
  description = "IAM role CockroachDB Cloud assumes to write the logs"
  type        = string
  default     = "StagingExporter"
}

variable "policy_name" {
  description = "IAM managed policy that lets the role write to the log groups"
  type        = string
  default     = "StagingLogs"
}

# This log group was not made by crdb-logexport (it has no managed-by =
# crdb-logexport tag); it is exported as it is.
resource "aws_cloudwatch_log_group" "us_east_2" {
  provider          = aws.us_east_2
  name              = var.log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "team" = "platform"
  }
}

# This role was not made by crdb-logexport (it has no managed-by =
# crdb-logexport tag); it is exported as it is.
resource "aws_iam_role" "log_export" {
  provider             = aws.us_east_2
  name                 = var.role_name
  path                 = "/byo/"
  description          = "Lets staging write logs (made by hand)"
  max_session_duration = 7200
  # The role has the permissions boundary
  # arn:aws:iam::314159265358:policy/byo/LogsBoundary: kept as it is; the
  # boundary policy itself is not managed here.
  permissions_boundary = "arn:aws:iam::314159265358:policy/byo/LogsBoundary"
  # The trust policy exactly as IAM holds it: the cluster's account may assume
  # the role.
  assume_role_policy = jsonencode({
    Statement = [{
      Action = ["sts:AssumeRole"]
      Principal = {
        AWS = ["arn:aws:iam::577215664901:root"]
      }
      Effect = "Allow"
    }]
    Version = "2012-10-17"
  })
  tags = {
    "team" = "platform"
  }
}

# This policy was not made by crdb-logexport (it has no managed-by =
# crdb-logexport tag); it is exported as it is.
resource "aws_iam_policy" "log_export" {
  provider    = aws.us_east_2
  name        = var.policy_name
  path        = "/byo/"
  description = "Staging log export (by hand)"
  # The permission policy's default version as IAM holds it.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "Write"
      Effect = "Allow"
      Action = [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogStreams",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
      ]
      Resource = "arn:aws:logs:us-east-2:314159265358:log-group:${var.log_group_name}:*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "log_export" {
  provider   = aws.us_east_2
  role       = aws_iam_role.log_export.name
  policy_arn = aws_iam_policy.log_export.arn
}

# An inline policy of the role.
resource "aws_iam_role_policy" "describe_groups" {
  provider = aws.us_east_2
  name     = "describe-groups"
  role     = aws_iam_role.log_export.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = {
      Effect   = "Allow"
      Action   = "logs:DescribeLogGroups"
      Resource = "*"
    }
  })
}

# The export configuration of cluster staging-aws.
resource "cockroach_log_export_config" "staging_aws" {
  id             = "4a1e8b6c-2d3f-4a5b-9c7e-8f0d1b2a3c45"
  type           = "AWS_CLOUDWATCH"
  log_name       = var.log_group_name
  auth_principal = aws_iam_role.log_export.arn
  groups = [
    {
      log_name  = var.log_group_name
      channels  = ["SESSIONS"]
      min_level = "ERROR"
    },
  ]

  # Enable only once the role may write to the log groups.
  depends_on = [
    aws_iam_role_policy_attachment.log_export,
    aws_iam_role_policy.describe_groups,
    aws_cloudwatch_log_group.us_east_2,
  ]
}

# What exists already is imported (Terraform 1.5 or later), each by the
# import ID its provider documents.

import {
  to       = aws_cloudwatch_log_group.us_east_2
  provider = aws.us_east_2
  id       = "staging-logs"
}

import {
  to       = aws_iam_role.log_export
  provider = aws.us_east_2
  id       = "StagingExporter"
}

import {
  to       = aws_iam_policy.log_export
  provider = aws.us_east_2
  id       = "arn:aws:iam::314159265358:policy/byo/StagingLogs"
}

import {
  to       = aws_iam_role_policy_attachment.log_export
  provider = aws.us_east_2
  id       = "StagingExporter/arn:aws:iam::314159265358:policy/byo/StagingLogs"
}

import {
  to       = aws_iam_role_policy.describe_groups
  provider = aws.us_east_2
  id       = "StagingExporter:describe-groups"
}

import {
  to = cockroach_log_export_config.staging_aws
  id = "4a1e8b6c-2d3f-4a5b-9c7e-8f0d1b2a3c45"
}
