"""The study report: one self-contained HTML file."""

from ._build import build_report as build_report
from ._figures import task_figures as task_figures
