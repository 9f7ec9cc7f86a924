resource "aws_s3_bucket" "logs" {
  bucket = "app-logs"
  lifecycle {
    prevent_destroy = true
  }
}
