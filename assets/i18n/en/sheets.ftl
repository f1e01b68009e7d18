# Limits on reading uploaded tables (src/sheets.rs).
error-file-too-many-columns = The table has values in more than 64 columns. Delete the columns the roster does not need and upload it again.
error-file-cell-too-long = A cell holds more than 1,000 characters. Check for text pasted into the wrong place.
error-file-too-many-cells = The table has more than 1,500,000 cells. Delete the columns that are not needed, or split the roster and upload the parts.
error-file-expands = This Excel file unpacks to far more than its size (over 192 MB, or an abnormal compression ratio), so it is not read. Open it in Excel or WPS and save it again as XLSX or CSV.
error-file-malformed = The file's structure is damaged or not as Excel saves it. Open it in Excel or WPS and save it again as XLSX or CSV.
