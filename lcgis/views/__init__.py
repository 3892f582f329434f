"""Views of a result: the workbook, the parcel card, park figures, web maps and PDF papers."""
