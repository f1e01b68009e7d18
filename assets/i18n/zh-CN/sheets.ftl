# Limits on reading uploaded tables (src/sheets.rs).
error-file-too-many-columns = 表格中有内容的列超过 64 列：请删去名册用不到的列后再上传。
error-file-cell-too-long = 有单元格超过 1,000 个字，请检查是否把大段文字误粘贴进了表格。
error-file-too-many-cells = 表格的单元格超过 150 万个：请删去用不到的列，或拆分名册后分别上传。
error-file-expands = 这个 Excel 文件解压后异常庞大（超过 192 MB 或压缩比异常），不予读取：请用 Excel 或 WPS 打开后另存为 XLSX 或 CSV 再上传。
error-file-malformed = 文件结构已损坏或不是 Excel 正常保存的格式：请用 Excel 或 WPS 打开后另存为 XLSX 或 CSV 再上传。
