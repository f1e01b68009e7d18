# 个人信息保护页（/privacy）和 README 的个人信息表，由 domain::privacy 生成
privacy-title = 个人信息保护
privacy-link = 个人信息保护
privacy-sign-in-note = 我们如何处理个人信息
privacy-intro = 兜底保存着全县最需要帮助的人的身份证号、健康和照护情况、住址、电话、位置和签名。本页说明收集哪些信息、为什么收集、谁能看到多少、保存多久。本页由系统执行的同一套规则直接生成。
privacy-law = 依照《个人信息保护法》，身份证号、健康和残疾情况、救助身份、位置等属于敏感个人信息，只为必要的目的、在必要的范围内处理。
privacy-legend-title = 谁能看到多少
privacy-scope-note = 每个角色只能看到其权限范围内的记录：乡镇工作人员只看本乡镇的，督导只看本机构登记的，社工和志愿者只看分派给自己的上门。范围以外的记录对其而言不存在。
privacy-section-recipients = 服务对象的信息
privacy-section-staff = 工作人员和安全记录
privacy-why-label = 为什么收集
privacy-seen-label = 谁能看到
privacy-kept-label = 保存多久
privacy-col-datum = 个人信息
privacy-col-kept = 保存多久
privacy-correction-title = 更正和查询
privacy-correction = 如果您或您照顾的人的信息有误，或想知道系统里保存了哪些信息，请联系所在乡镇（街道）的民政办（社会事务办）。他们核实后在系统中更正；每次更正都记入审计日志，改前和改后的内容都保留。工作人员的账号信息请找本机构的督导或系统管理员更正。
privacy-as-data = 同样的内容也以数据形式提供：

privacy-role-admin = 管理员
privacy-role-official = 乡镇工作人员
privacy-role-coordinator = 机构督导
privacy-role-worker = 社工、志愿者

privacy-seen-whole = 完整
privacy-seen-masked = 遮盖
privacy-seen-masked-revealable = 遮盖，可说明原因后查看
privacy-seen-at-the-door = 仅上门时
privacy-seen-at-the-door-masked = 仅上门时，且遮盖
privacy-seen-own = 仅自己的
privacy-seen-not = 看不到
privacy-seen-whole-means = 在其权限范围内的记录中完整可见。
privacy-seen-masked-means = 遮盖显示：身份证号只显示前四位（省和市，5119**************），出生日期只显示年份，合起来仍有上万个可能的号码。
privacy-seen-masked-revealable-means = 遮盖显示；管理员和登记该对象的机构的督导可以填写原因查看完整身份证号，每次查看都记入审计日志（记原因，不记号码）。
privacy-seen-at-the-door-means = 只在分派给本人的上门中完整可见：从上门前 { $before } 天到上门后 { $after } 天，在该次上门的页面和当天的卡片上。其他地方姓名遮盖（单**），其他信息不显示。
privacy-seen-at-the-door-masked-means = 同上，但即使上门时也只遮盖显示（出生日期只显示年份）。
privacy-seen-own-means = 只看得到自己做的或分派给自己的记录：自己的上门、自己的账号。
privacy-seen-not-means = 完全看不到。

-kept-person = 不删除：对象不再接受服务时登记为“退出”并写明原因，记录保留，以备日后核查救助和服务。
-kept-history = 不删除：更正记为一条修订，改前和改后都保留；已验收时段的记录被锁定。
-kept-audited = 不删除；每次改动都记入审计日志（改前和改后）。

privacy-datum-name = 姓名
privacy-what-name = 服务对象的姓名。对不能看完整姓名的人显示为“单**”（只显示第一个字）。
privacy-why-name = 知道在为谁服务，上门时认准人（同村可能有两个“张**”）。
privacy-kept-name = { -kept-person }

privacy-datum-id-number = 身份证号
privacy-what-id-number = 18 位公民身份号码，加密保存，另以带密钥的哈希查重。平时显示为 5119**************（只显示前四位）。
privacy-why-id-number = 与乡镇救助名册核对、防止重复登记、供政府购买服务的核查。
privacy-kept-id-number = { -kept-person }

privacy-datum-birth-date = 出生日期
privacy-what-birth-date = 由身份证号得出。除查看完整身份证号外，只显示年份。
privacy-why-birth-date = 判断老年人（60 岁以上）、未成年人（18 岁以下）以及 14 岁以下须由监护人同意等类别；类别按自然月判断，不会透露生日。
privacy-kept-birth-date = { -kept-person }

privacy-datum-gender = 性别
privacy-what-gender = 由身份证号得出。
privacy-why-gender = 安排合适的社工上门，并用于统计。
privacy-kept-gender = { -kept-person }

privacy-datum-address = 家庭住址
privacy-what-address = 户的住址（村、组、门牌）。
privacy-why-address = 上门服务。
privacy-kept-address = { -kept-person }

privacy-datum-phone = 联系电话
privacy-what-phone = 服务对象和户的联系电话。
privacy-why-phone = 约定上门时间，满意度回访。
privacy-kept-phone = { -kept-person }

privacy-datum-guardian = 监护人或紧急联系人
privacy-what-guardian = 姓名、电话和关系；未成年人必须填写。
privacy-why-guardian = 未成年人和不能自己决定的人须由监护人同意；紧急情况时联系。
privacy-kept-guardian = { -kept-person }

privacy-datum-care-needs = 照护需求
privacy-what-care-needs = 文字说明和标签（独居、卧床、认知障碍、慢性病等），属于健康信息。
privacy-why-care-needs = 上门时知道要做什么、要注意什么。
privacy-kept-care-needs = { -kept-person }

privacy-datum-disability = 残疾情况
privacy-what-disability = 残疾证的等级（一至四级）和类别。
privacy-why-disability = 确定对象类别和所需的服务。
privacy-kept-disability = { -kept-person }

privacy-datum-assistance-status = 救助身份
privacy-what-assistance-status = 低保、特困、低收入或无，以及起止日期。
privacy-why-assistance-status = 确定是否属于政府购买服务的覆盖对象。
privacy-kept-assistance-status = { -kept-person }

privacy-datum-home-location = 住处位置
privacy-what-home-location = 住处的经纬度。
privacy-why-home-location = 核验上门签到是否在住处附近。
privacy-kept-home-location = { -kept-person }

privacy-datum-visit-record = 上门记录
privacy-what-visit-record = 上门的时间、提供的服务和物资、备注，以及后来的更正。
privacy-why-visit-record = 证明服务确已提供，作为履约验收和付款的依据。
privacy-kept-visit-record = { -kept-history }

privacy-datum-check-in-location = 签到位置
privacy-what-check-in-location = 社工签到、签退时手机的位置和时间。
privacy-why-check-in-location = 核验社工确实到了服务对象家。
privacy-kept-check-in-location = { -kept-history }

privacy-datum-signature = 签名
privacy-what-signature = 服务对象或监护人确认本次服务的手写签名。
privacy-why-signature = 由服务对象本人确认收到了服务。
privacy-kept-signature = 不删除：更正时带来新签名的，原签名保留在旁边，改前改后各以其 SHA-256 记录。

privacy-datum-callback = 满意度回访
privacy-what-callback = 是否联系上、满意程度（1 至 5）和备注。
privacy-why-callback = 乡镇抽查服务质量。
privacy-kept-callback = { -kept-audited }

privacy-datum-referral = 转介
privacy-what-referral = 上门时发现的其他需要（如就医、住房），以及处理情况。
privacy-why-referral = 让乡镇民政办跟进上门时发现的问题，并让提出转介的服务机构知道办理结果。
privacy-kept-referral = { -kept-audited }

privacy-datum-roster = 上传的名册
privacy-what-roster = 导入时上传的名册文件，含完整身份证号。
privacy-why-roster = 成批登记服务对象。
privacy-kept-roster = 导入生效时在同一事务中删除；一直未导入的，{ $days } 天后由每日任务删除（每次删除记入审计日志）。导入的数量和问题报告保留；报告中按原样保存的未通过行，同样在 { $days } 天后清除（只留行号和问题）。

privacy-datum-staff-account = 工作人员账号
privacy-what-staff-account = 姓名、邮箱、电话、角色和所属机构；密码只存 Argon2 哈希，日历订阅地址只存 SHA-256 哈希。
privacy-why-staff-account = 登录、分派上门、追溯谁做了什么。
privacy-kept-staff-account = 不删除：停用的账号立即退出登录，记录保留，审计日志仍能追溯到人。日历订阅地址的哈希保存到更换地址为止。

privacy-datum-sign-in-attempt = 登录失败
privacy-what-sign-in-attempt = 所填账号的带密钥哈希（不存原文，有人会把密码填进邮箱栏）和网络地址。
privacy-why-sign-in-attempt = 限制猜密码：每个账号、每个地址在一段时间内只能失败有限次数。
privacy-kept-sign-in-attempt = 计数记录保留 { $minutes } 分钟，之后在下一次登录时删除；每次失败另在审计日志中记一条（账号存在时记其邮箱，否则只记哈希），永久保存。

privacy-datum-audit-trail = 审计日志
privacy-what-audit-trail = 每次写操作的操作人、时间、网络地址、改前和改后的内容（身份证号只以遮盖形式出现，查看完整号码只记原因）。其他角色只能在可查看的记录上看到哪些字段在何时被谁修改。
privacy-why-audit-trail = 每项改动都可追溯，篡改能被发现。
privacy-kept-audit-trail = 只增不改，永久保存：数据库拒绝修改和删除，哈希链能发现直接在数据库里的篡改。
