"""The evaluation: gold questions, metrics, the systems compared, the report and threshold calibration."""
