"""The engine: metrics, evaluation, land rules and candidate lists, composed by the pipeline."""
