"""What every layer needs and none owns: where Trimline keeps its files."""
