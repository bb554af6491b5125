"""`hamstring-cds guideline export`: the guideline configuration as a FHIR R4 PlanDefinition (the same resource
GET /guideline/PlanDefinition serves), for a committee pack or a knowledge repository.

It exports any valid configuration, a draft or a retired one too (their status says so); only the service
refuses to run a retired guideline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

Handler = Callable[[argparse.Namespace], int]


def register(commands: Any) -> dict[str, Handler]:
    guideline = commands.add_parser("guideline", help="export the guideline configuration")
    actions = guideline.add_subparsers(dest="guideline_command", required=True)
    export = actions.add_parser("export", help="the guideline as a FHIR R4 PlanDefinition (JSON)")
    export.add_argument("--guideline", type=Path, help="configuration to export (default: CDS_GUIDELINE_FILE, "
                                                       "else cards/guideline.toml)")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    return {"guideline": run_export}


def run_export(args: argparse.Namespace) -> int:
    from cards.config import load_guideline
    from cds_service.plandefinition import plan_definition
    from cds_service.settings import Settings

    guideline = load_guideline(args.guideline or Settings().guideline_file)
    text = orjson.dumps(plan_definition(guideline), option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.output:
        args.output.write_text(text)
        print(f"PlanDefinition {guideline.meta.id} version {guideline.meta.version} ({guideline.lifecycle.status}) "
              f"written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
