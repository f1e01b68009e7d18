# The officials' dashboard: figures with their units, the tables behind the charts.
dash-item-figure = { $done } of { $total } { $unit } ({ $percent }%)
dash-visits-figure = { $n ->
    [one] 1 visit
   *[other] { $n } visits
  } ({ $percent }%)
dash-covered = People covered
dash-covered-figure = { $n ->
    [one] 1 person
   *[other] { $n } people
  }
dash-nothing-due = — (nothing due)
dash-table-items = Delivery of each item (share of the contracted quantity)
dash-table-months = Visits by month
dash-col-item = Item
dash-col-month = Month
# The acceptance pack: signature and seal blocks, the file names.
dash-pack-signatures = Signatures and seals
dash-pack-purchaser = Purchaser
dash-pack-provider = Provider
dash-pack-purchaser-name = { $township } township government (civil-affairs office)
dash-pack-signature = Signed by (person in charge):
dash-pack-seal = (seal)
dash-pack-date = Date:
dash-pack-nothing-due = — (nothing due)
dash-file-pack = Acceptance
dash-file-public = public
dash-file-month = { $year }-{ $mm }
dash-file-range = { $from } to { $to }
dash-file-items = Items
dash-file-compliance = Frequency shortfalls
dash-file-funding = Material funding
