# At the door: whom a worker's visit is for (issue 13, finding 2)
door-view-who = 服务对象
door-view-call = 拨打
door-view-age = { $year } 年生，今年 { $age } 岁
