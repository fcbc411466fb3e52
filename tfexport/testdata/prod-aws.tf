# Log export of CockroachDB Cloud cluster prod-aws to Amazon CloudWatch,
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

provider "aws" {
  alias  = "us_west_2"
  region = "us-west-2"
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
}

provider "cockroach" {
  # The API key comes from COCKROACH_API_KEY (the endpoint from
  # COCKROACH_SERVER when it is not the public one); it is never written here.
}

# What teams usually name themselves; the defaults are the live values.

variable "log_group_name" {
  description = "CloudWatch log group the cluster's logs go to, the same name in every destination region"
  type        = string
  default     = "crdb-prod-aws"
}

variable "group_1_log_group_name" {
  description = "CloudWatch log group of the export group with channels SQL_SCHEMA, PRIVILEGES, in every destination region"
  type        = string
  default     = "crdb-prod-aws-sql"
}

variable "group_2_log_group_name" {
  description = "CloudWatch log group of the export group with channels OPS, HEALTH, STORAGE, in every destination region"
  type        = string
  default     = "crdb-prod-aws-ops"
}

variable "retention_in_days" {
  description = "Days CloudWatch keeps log events; 0 keeps them forever"
  type        = number
  default     = 30
}

variable "role_name" {
  description = "IAM role CockroachDB Cloud assumes to write the logs"
  type        = string
  default     = "CockroachCloudLogExportRole-prod-aws"
}

variable "policy_name" {
  description = "IAM managed policy that lets the role write to the log groups"
  type        = string
  default     = "CockroachCloudLogExportPolicy-prod-aws"
}

resource "aws_cloudwatch_log_group" "us_east_1" {
  provider          = aws.us_east_1
  name              = var.log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "us_west_2" {
  provider          = aws.us_west_2
  name              = var.log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "eu_west_1" {
  provider          = aws.eu_west_1
  name              = var.log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_1_us_east_1" {
  provider          = aws.us_east_1
  name              = var.group_1_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_1_us_west_2" {
  provider          = aws.us_west_2
  name              = var.group_1_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_1_eu_west_1" {
  provider          = aws.eu_west_1
  name              = var.group_1_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_2_us_east_1" {
  provider          = aws.us_east_1
  name              = var.group_2_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_2_us_west_2" {
  provider          = aws.us_west_2
  name              = var.group_2_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_cloudwatch_log_group" "group_2_eu_west_1" {
  provider          = aws.eu_west_1
  name              = var.group_2_log_group_name
  retention_in_days = var.retention_in_days
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_iam_role" "log_export" {
  provider    = aws.us_east_1
  name        = var.role_name
  description = "Lets CockroachDB Cloud cluster prod-aws (0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30) write its logs to CloudWatch"
  # The trust policy exactly as IAM holds it: the cluster's account may assume
  # the role.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Principal = {
        AWS = "arn:aws:iam::271828182845:root"
      }
      Action = "sts:AssumeRole"
      Condition = {
        StringEquals = {
          "sts:ExternalId" = "golden-external-id-0001"
        }
      }
    }]
  })
  tags = {
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
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
        Resource = [
          "arn:aws:logs:*:314159265358:log-group:${var.group_2_log_group_name}:*",
          "arn:aws:logs:*:314159265358:log-group:${var.group_1_log_group_name}:*",
          "arn:aws:logs:*:314159265358:log-group:${var.log_group_name}:*",
        ]
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
    "crdb-logexport:cluster-id"   = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
    "crdb-logexport:cluster-name" = "prod-aws"
    "managed-by"                  = "crdb-logexport"
  }
}

resource "aws_iam_role_policy_attachment" "log_export" {
  provider   = aws.us_east_1
  role       = aws_iam_role.log_export.name
  policy_arn = aws_iam_policy.log_export.arn
}

# The export configuration of cluster prod-aws.
resource "cockroach_log_export_config" "prod_aws" {
  id              = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
  type            = "AWS_CLOUDWATCH"
  log_name        = var.log_group_name
  auth_principal  = aws_iam_role.log_export.arn
  aws_external_id = "golden-external-id-0001"
  redact          = true
  omitted_channels = [
    "SQL_PERF",
    "SQL_EXEC",
  ]
  groups = [
    {
      log_name  = var.group_1_log_group_name
      channels  = ["SQL_SCHEMA", "PRIVILEGES"]
      min_level = "WARNING"
      redact    = false
    },
    {
      log_name = var.group_2_log_group_name
      channels = ["OPS", "HEALTH", "STORAGE"]
    },
  ]

  # Enable only once the role may write to the log groups.
  depends_on = [
    aws_iam_role_policy_attachment.log_export,
    aws_cloudwatch_log_group.us_east_1,
    aws_cloudwatch_log_group.us_west_2,
    aws_cloudwatch_log_group.eu_west_1,
    aws_cloudwatch_log_group.group_1_us_east_1,
    aws_cloudwatch_log_group.group_1_us_west_2,
    aws_cloudwatch_log_group.group_1_eu_west_1,
    aws_cloudwatch_log_group.group_2_us_east_1,
    aws_cloudwatch_log_group.group_2_us_west_2,
    aws_cloudwatch_log_group.group_2_eu_west_1,
  ]
}

# What exists already is imported (Terraform 1.5 or later), each by the
# import ID its provider documents.

import {
  to       = aws_cloudwatch_log_group.us_east_1
  provider = aws.us_east_1
  id       = "crdb-prod-aws"
}

import {
  to       = aws_cloudwatch_log_group.us_west_2
  provider = aws.us_west_2
  id       = "crdb-prod-aws"
}

import {
  to       = aws_cloudwatch_log_group.eu_west_1
  provider = aws.eu_west_1
  id       = "crdb-prod-aws"
}

import {
  to       = aws_cloudwatch_log_group.group_1_us_east_1
  provider = aws.us_east_1
  id       = "crdb-prod-aws-sql"
}

import {
  to       = aws_cloudwatch_log_group.group_1_us_west_2
  provider = aws.us_west_2
  id       = "crdb-prod-aws-sql"
}

import {
  to       = aws_cloudwatch_log_group.group_1_eu_west_1
  provider = aws.eu_west_1
  id       = "crdb-prod-aws-sql"
}

import {
  to       = aws_cloudwatch_log_group.group_2_us_east_1
  provider = aws.us_east_1
  id       = "crdb-prod-aws-ops"
}

import {
  to       = aws_cloudwatch_log_group.group_2_us_west_2
  provider = aws.us_west_2
  id       = "crdb-prod-aws-ops"
}

import {
  to       = aws_cloudwatch_log_group.group_2_eu_west_1
  provider = aws.eu_west_1
  id       = "crdb-prod-aws-ops"
}

import {
  to       = aws_iam_role.log_export
  provider = aws.us_east_1
  id       = "CockroachCloudLogExportRole-prod-aws"
}

import {
  to       = aws_iam_policy.log_export
  provider = aws.us_east_1
  id       = "arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy-prod-aws"
}

import {
  to       = aws_iam_role_policy_attachment.log_export
  provider = aws.us_east_1
  id       = "CockroachCloudLogExportRole-prod-aws/arn:aws:iam::314159265358:policy/CockroachCloudLogExportPolicy-prod-aws"
}

import {
  to = cockroach_log_export_config.prod_aws
  id = "0f7d3c2e-5a9b-4c1d-8e6f-2b4a7c9d1e30"
}
