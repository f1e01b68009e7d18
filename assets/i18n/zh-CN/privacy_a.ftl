# 隐私（一）：写操作不走 GET
error-reveal-needs-post = 导出完整身份证号只能在名单页提交导出表单（POST）并填写原因，不能通过链接打开。
