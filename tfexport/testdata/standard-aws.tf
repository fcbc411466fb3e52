# Log export of CockroachDB Cloud cluster standard-aws to Amazon CloudWatch,
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
  alias  = "us_east_1"
  region = "us-east-1"
}

provider "cockroach" {
  # The API key comes from COCKROACH_API_KEY (the endpoint from
  # COCKROACH_SERVER when it is not the public one); it is never written here.
}

# What teams usually name themselves; the defaults are the live values.

variable "log_group_name" {
  description = "CloudWatch log group the cluster's logs go to, the same name in every destination region"
  type        = string
  default     = "crdb-standard-aws"
}

variable "retention_in_days" {
  description = "Days CloudWatch keeps log events; 0 keeps them forever"
  type        = number
  default     = 30
}

variable "role_name" {
  description = "IAM role CockroachDB Cloud assumes to write the logs"
  type        = string
  default     = "CockroachCloudLogExportRole-standard-aws"
}

variable "policy_name" {
  description = "IAM managed policy that lets the role write to the log groups"
  type        = string
  default     = "CockroachCloudLogExportPolicy-standard-aws"
}

resource "aws_cloudwatch_log_group" "us_east_1" {
  provider          = aws.us_east_1
  name              = var.log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
    "crdb-logexport:cluster-name" = "standard-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_iam_role" "log_export" {
  provider    = aws.us_east_1
  name        = var.role_name
  description = "Lets CockroachDB Cloud cluster standard-aws (7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12) write its logs to CloudWatch"
  # The trust policy exactly as IAM holds it: the cluster's account may assume
  # the role.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = {
        AWS = "arn:aws:iam::161803398874:root"
      }
      Action = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "sts:ExternalId" = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
        }
      }
    }]
  })
  tags = {
    "crdb-logexport:cluster-id"   = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
    "crdb-logexport:cluster-name" = "standard-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_iam_policy" "log_export" {
  provider    = aws.us_east_1
  name        = var.policy_name
  description = "CloudWatch Logs access for CockroachDB Cloud log export (crdb-logexport)"
  # The permission policy's default version as IAM holds it.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "WriteLogExportGroups"
        Effect = "Allow"
        Action = [
          "logs:CreateLogGroup",
          "logs:CreateLogStream",
          "logs:DescribeLogStreams",
          "logs:PutLogEvents",
          "logs:PutRetentionPolicy",
        ]
        Resource = "arn:aws:logs:*:314159265358:log-group:${var.log_group_name}:*"
      },
      {
        Sid      = "DescribeLogGroups"
        Effect   = "Allow"
        Action   = "logs:DescribeLogGroups"
        Resource = "arn:aws:logs:*:314159265358:log-group:*"
      },
    ]
  })
  tags = {
    "crdb-logexport:cluster-id"   = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
    "crdb-logexport:cluster-name" = "standard-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_iam_role_policy_attachment" "log_export" {
  provider   = aws.us_east_1
  role       = aws_iam_role.log_export.name
  policy_arn = aws_iam_policy.log_export.arn
}

# The export configuration of cluster standard-aws.
resource "cockroach_log_export_config" "standard_aws" {
  id             = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
  type           = "AWS_CLOUDWATCH"
  log_name       = var.log_group_name
  auth_principal = aws_iam_role.log_export.arn

  # Enable only once the role may write to the log groups.
  depends_on = [
    aws_iam_role_policy_attachment.log_export,
    aws_cloudwatch_log_group.us_east_1,
  ]
}

# What exists already is imported (Terraform 1.5 or later), each by the
# import ID its provider documents.

import {
  to       = aws_cloudwatch_log_group.us_east_1
  provider = aws.us_east_1
  id       = "crdb-standard-aws"
}

import {
  to       = aws_iam_role.log_export
  provider = aws.us_east_1
  id       = "CockroachCloudLogExportRole-standard-aws"
}

import {
  to       = aws_iam_policy.log_export
  provider = aws.us_east_1
  id       = "arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy-standard-aws"
}

import {
  to       = aws_iam_role_policy_attachment.log_export
  provider = aws.us_east_1
  id       = "CockroachCloudLogExportRole-standard-aws/arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy-standard-aws"
}

import {
  to = cockroach_log_export_config.standard_aws
  id = "7c2b9e4d-1f6a-4b8c-a3d5-6e7f8a9b0c12"
}
