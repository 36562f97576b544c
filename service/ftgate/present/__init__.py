"""The words and numbers people read, in each language ftgate answers in: labels of enum values,
numbers, money and durations by CLDR rules, the one rounding rule, French typography. Used by
the texts of the Assessment (ftgate.engine), the CLI report and the web console."""
