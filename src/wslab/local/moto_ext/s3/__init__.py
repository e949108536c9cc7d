"""S3 on moto: bucket policies with their conditions evaluated."""
