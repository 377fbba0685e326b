from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "fillrate.workflows"
    label = "workflows"
