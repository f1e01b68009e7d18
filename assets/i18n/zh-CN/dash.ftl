# The officials' dashboard: figures with their units, the tables behind the charts.
dash-item-figure = { $done } / { $total } { $unit }（{ $percent }%）
dash-visits-figure = { $n } 次（{ $percent }%）
dash-covered = 服务对象
dash-covered-figure = { $n } 人
dash-nothing-due = —（无应访）
dash-table-items = 各服务项目完成进度（占合同数量）
dash-table-months = 每月走访（次）
dash-col-item = 服务项目
dash-col-month = 月份
# The acceptance pack: signature and seal blocks, the file names.
dash-pack-signatures = 签字盖章
dash-pack-purchaser = 购买方
dash-pack-provider = 承接方
dash-pack-purchaser-name = { $township }人民政府（民政办）
dash-pack-signature = 负责人签字：
dash-pack-seal = （盖章）
dash-pack-date = 日期：　　　　年　　月　　日
dash-pack-nothing-due = —（无应访）
dash-file-pack = 验收材料
dash-file-public = 公开版
dash-file-month = { $year }年{ $month }月
dash-file-range = { $from }至{ $to }
dash-file-items = 服务项目完成情况
dash-file-compliance = 走访频次未达标名单
dash-file-funding = 物资来源
