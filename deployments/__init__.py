"""Prefect deployments of trustcycle's flows, and `trustcycle serve` which runs them."""

from deployments.build import DeploymentPlan, build, plan

__all__ = ["DeploymentPlan", "build", "plan"]
