package district

// The Chinese vocabulary of the synthetic district: street and town names,
// community and village name roots, personal names, positions and the texts of
// reasons, summaries and bases. All slices are read in order, never through a
// map, so the output does not depend on map iteration.

// streetSpec is one street (街道) or town (镇) of the district.
type streetSpec struct {
	name string
	// town is true for a 镇, whose communities are mostly villages (村).
	town bool
	// suburban streets have some villages beside their communities.
	suburban bool
}

var streetSpecs = []streetSpec{
	{name: "解放街道"},
	{name: "建设街道"},
	{name: "新嘉街道"},
	{name: "南湖街道"},
	{name: "新兴街道"},
	{name: "城南街道", suburban: true},
	{name: "东栅街道", suburban: true},
	{name: "长水街道"},
	{name: "七星街道", suburban: true},
	{name: "大桥镇", town: true},
	{name: "余新镇", town: true},
	{name: "凤桥镇", town: true},
	{name: "新丰镇", town: true},
}

// urbanRoots name communities (…社区).
var urbanRoots = []string{
	"禾兴", "紫阳", "梅湾", "勤俭", "中山", "南溪", "秀城", "新港", "花园", "文昌",
	"府南", "景宜", "广益", "鸣羊", "春波", "中和", "平安", "三塔", "月河", "子城",
	"瓶山", "芝桥", "烟雨", "湖滨", "东升", "建国", "少年", "长新", "洪殿", "双溪",
	"由拳", "槜李", "金都", "华庭", "嘉禾", "清河", "斜西", "港湾", "丽景", "锦都",
	"凌塘", "太平", "石堰", "辉煌", "曹庄", "穆湖", "天星", "阳光", "南江", "明新",
	"东方", "城东", "永安", "云东", "龙湖", "英雄", "安乐", "友谊", "振兴", "人民",
	"和平", "五芳", "红旗", "常秀", "茶园", "环城", "东湖", "北郊", "运河", "秀水",
	"花桥", "汇金", "观音", "莲花", "鸳湖", "梅花", "荷花", "凤凰", "白龙", "绿城",
	"南都", "新城", "蓝庭", "紫御", "越秀", "丹枫", "玉兰", "桂苑", "香樟", "银杏",
	"海棠", "秀园", "文苑", "书香", "翰林", "怡园", "静园", "乐园", "康乐", "福星",
	"吉祥", "金穗", "嘉苑", "城西", "城北", "湖畔", "泰和", "富润", "锦绣", "滨河",
}

// ruralRoots name villages (…村).
var ruralRoots = []string{
	"胥山", "亭桥", "江南", "十八里", "新民", "联丰", "步云", "光明", "永新", "三星",
	"余北", "竹林", "新篁", "庄史", "永红", "净相", "镇北", "新联", "洛东", "南桥",
	"民主", "曙光", "先锋", "火炬", "红星", "新华", "东风", "繁荣", "幸福", "团结",
	"丰收", "金星", "三友", "合心", "富强", "长丰", "姚家", "钱家", "陆家", "朱家",
	"顾家", "范家", "湾里", "塘桥", "荡湾", "横港", "野塘", "南堰", "北港", "乌桥",
	"石佛", "凌港", "马厍", "韭溪", "长浜", "云龙", "鸭舍", "三店", "新农", "桥北",
}

// Surnames with rough weights: common in northern Zhejiang first.
var surnames = []struct {
	name   string
	weight float64
}{
	{"王", 7}, {"李", 5}, {"张", 6}, {"刘", 3}, {"陈", 7}, {"杨", 3}, {"黄", 3}, {"赵", 2},
	{"吴", 4}, {"周", 4}, {"徐", 4}, {"孙", 2}, {"马", 1}, {"朱", 4}, {"胡", 2}, {"郭", 1},
	{"何", 1}, {"林", 2}, {"高", 1}, {"沈", 5}, {"钱", 3}, {"顾", 3}, {"陆", 3}, {"姚", 2},
	{"蒋", 2}, {"褚", 1}, {"屠", 1}, {"金", 2}, {"俞", 2}, {"费", 1}, {"许", 2}, {"潘", 1},
	{"盛", 1}, {"冯", 1}, {"丁", 1}, {"施", 1}, {"戴", 1}, {"宋", 1}, {"唐", 1}, {"韩", 1},
	{"曹", 1}, {"范", 1}, {"邵", 1}, {"方", 1}, {"汪", 1}, {"郑", 2}, {"谢", 1}, {"叶", 1},
}

// Characters of given names.
var givenChars = []string{
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
	"明", "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "红",
	"燕", "萍", "斌", "浩", "宇", "晨", "欣", "佳", "婷", "雪", "琳", "蕾", "峰", "亮", "鹏",
	"晓", "春", "海", "云", "波", "志", "俊", "宏", "林", "梅", "倩", "彬", "凯", "越", "嘉",
	"怡", "颖", "慧", "晶", "昊", "骏", "卫", "忠", "荣", "新", "良", "德", "永", "鑫", "琦",
}

// Positions. Street-level positions differ between 街道 and 镇.
var (
	streetPositions = []string{"党工委书记", "办事处主任", "党工委副书记", "办事处副主任", "综治办主任", "城市管理科科长", "社会事务科科长", "平安办主任"}
	townPositions   = []string{"镇党委书记", "镇长", "镇党委副书记", "副镇长", "综治办主任", "农业农村办主任", "社会事务办主任", "平安办主任"}

	communityPositions = communityRoles{secretary: "社区党委书记", director: "居委会主任", deputy: "居委会副主任", grid: "专职网格员"}
	villagePositions   = communityRoles{secretary: "村党组织书记", director: "村委会主任", deputy: "村委会副主任", grid: "网格员"}
)

type communityRoles struct{ secretary, director, deputy, grid string }

// Complaint categories (the hotline's codes) and how soon a response is due.
var categories = []struct {
	code   string
	weight float64
	urgent bool // response due in 2 hours instead of 24
}{
	{"property", 16, false},
	{"sanitation", 11, false},
	{"noise", 9, true},
	{"traffic", 7, false},
	{"water_supply", 6, true},
	{"power_supply", 4, true},
	{"gas", 2, true},
	{"housing", 6, false},
	{"urban_management", 10, false},
	{"market_regulation", 5, false},
	{"labor_dispute", 5, false},
	{"social_security", 4, false},
	{"education", 3, false},
	{"healthcare", 3, false},
	{"public_safety", 3, true},
	{"greening", 3, false},
	{"pets", 3, false},
}

var complaintReopenReasons = []string{
	"来电人反映问题未实际解决",
	"回访核实整改后问题反复",
	"处理结果与现场情况不符",
	"来电人对答复不认可，要求重新办理",
	"承办单位答复内容不完整",
}

var issueReopenReasons = []string{
	"复查发现整改不到位",
	"问题反弹，需重新整改",
	"整改材料与实际不符",
	"督查回头看发现同类问题",
}

// problem lists of SPEC §4 with their weights and the prefix of their ids.
var issueLists = []struct {
	list   string
	weight float64
	prefix string
}{
	{"inspection", 10, "XC"},
	{"supervision", 18, "DC"},
	{"audit", 7, "SJ"},
	{"security", 9, "PA"},
	{"production_safety", 20, "AQ"},
	{"natural_disaster", 8, "ZH"},
	{"public_opinion", 10, "YQ"},
	{"public_complaint", 18, "XF"},
}

var errorSummaries = []struct {
	text     string
	severity string
}{
	{"未按规定时限报送安全隐患排查台账", "minor"},
	{"网格巡查记录缺失，信息录入不及时", "minor"},
	{"会议纪要未按要求归档", "minor"},
	{"防汛值班期间短时脱岗", "minor"},
	{"民生实事项目进度信息填报有误", "minor"},
	{"信访件转办超出规定时限", "minor"},
	{"低保对象动态管理复核不到位", "moderate"},
	{"工程项目审批程序不规范", "moderate"},
	{"台账资料填报不实", "moderate"},
	{"违规使用公务用车", "moderate"},
	{"12345工单办理推诿扯皮", "moderate"},
	{"疫苗接种信息录入错误造成重复通知", "moderate"},
	{"违规发放困难补助资金", "serious"},
	{"安全生产检查走过场导致隐患未整改", "serious"},
	{"征迁补偿测算失误造成群众损失", "serious"},
}

var toleranceBases = []string{
	"在推进改革探索中因缺乏经验出现失误，未谋取私利，依据容错纠错实施办法予以容错",
	"在抢险救灾紧急情况下为维护群众利益临机处置，程序存在瑕疵，予以容错",
	"因上级政策调整、标准不明确导致的偶发失误，已主动纠正，予以容错",
	"在推进重点项目中先行先试出现偏差，经集体决策且及时纠偏，予以容错",
}
