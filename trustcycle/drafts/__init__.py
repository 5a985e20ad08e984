"""Draft papers from partners' returns: pure functions over plain data, no Prefect, no DB.

`context.build_report(cfg, process, year, inputs)` gives a `Report` in the seeds'
committee-report frame; `render.render(report, "md" | "html" | "docx")` gives its bytes.
"""

from trustcycle.drafts.context import build_report
from trustcycle.drafts.document import Report
from trustcycle.drafts.inputs import AttendanceRecord, DraftInputs, ReturnRecord
from trustcycle.drafts.render import FORMATS, render

__all__ = ["FORMATS", "AttendanceRecord", "DraftInputs", "Report", "ReturnRecord",
           "build_report", "render"]
