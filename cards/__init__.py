"""Guideline criteria, their reviewed configuration, and the card renderer.

This package is the clinical core. It reads `ClinicalFacts` only and imports no web framework,
HTTP client or FHIR library (a test enforces it), so it can be reviewed and tested on its own.
"""
