"""The study report: one self-contained HTML file."""

from ._build import build_report as build_report
from ._figures import task_figures as task_figures
from ._vision import build_vision_report as build_vision_report
from ._vision import vision_figures as vision_figures
