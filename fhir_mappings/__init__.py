"""FHIR R4 -> ClinicalFacts: selection, parsing with fhir.resources.R4B, terminology as data.

Imports no web framework. Resources are selected by code on the raw JSON before they are validated,
so a large prefetch costs only what the criteria read.
"""
