"""The top layer: steps that chain other steps (the demo, cross-validation, post-processing
tuning, building a report, scoring with its figures). Engines below it (training, inference,
evaluation, classification, reports) never import from here; commands (``commands/``) call it.
"""
