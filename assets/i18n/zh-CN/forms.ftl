# Registration forms that keep what was typed, search as you type (issue 15).
forms-choose-township-first = 请先选择乡镇
forms-register-this-person = 登记“{ $name }”为新对象
forms-register-household = 登记新户：{ $address }
forms-searching = 正在搜索…
forms-draft-restored = 已恢复上次未保存的填写内容。
forms-draft-discard = 清空
# Errors of requests the app could not read (never a library's own words).
error-bad-request = 请求无法识别，请返回重试。
error-bad-path = 网址有误，请返回重试。
error-method-not-allowed = 不能这样打开此页面，请返回重试。
error-bad-upload = 上传的文件无法读取，请重新选择文件。
