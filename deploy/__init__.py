"""Deployment: compose, Kubernetes, and `local/`, the tools that run the platform on one machine."""
