"""briefing: print-ready Chinese newspaper-style PDF briefings from content and data files.

Pipeline (one module per stage, no stage imports a later one):
load (content, data, layout) -> validate -> edition -> typeset -> place -> draw -> post -> preflight.
"""

__version__ = "0.1.0"
