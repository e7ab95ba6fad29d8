// Package text holds every string the pages, the downloads and the report
// show, Chinese first and English beside it, in one table, and how a grade
// looks (its colour), so a page, a sheet and a printed report say the same.
package text

import "net/url"

// Lang is a language of the table: "zh" (the default) or "en".
type Lang string

// The languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// FromQuery is the language a request asks for: ?lang=en, else Chinese.
func FromQuery(q url.Values) Lang {
	if q.Get("lang") == "en" {
		return EN
	}
	return ZH
}

// T is the string of key in the language; a key missing from the table is
// shown as itself, so a new code (a list, a level) is never blank.
func (l Lang) T(key string) string {
	e, ok := table[key]
	if !ok {
		return key
	}
	if l == EN {
		return e[1]
	}
	return e[0]
}

// table: key → {Chinese, English}. Keys of grades, levels, indicators,
// statuses and problem lists are the codes of SPEC §5 and the event schemas.
var table = map[string][2]string{
	// grades
	"excellent": {"优秀", "excellent"},
	"good":      {"良好", "good"},
	"basic":     {"合格", "basic"},
	"poor":      {"较差", "poor"},
	// levels
	"province":  {"省", "province"},
	"city":      {"市", "city"},
	"district":  {"区县", "district"},
	"street":    {"街道乡镇", "street"},
	"community": {"社区村", "community"},
	"grid":      {"网格", "grid"},
	// subjects
	"unit":  {"单位", "unit"},
	"cadre": {"干部", "cadre"},
	// indicators
	"response_rate":     {"及时响应率", "response rate"},
	"resolution_rate":   {"按期办结率", "resolution rate"},
	"satisfaction_rate": {"群众满意率", "satisfaction rate"},
	"closure_rate":      {"问题整改率", "closure rate"},
	"review_score":      {"述职评议得分", "review score"},
	// run statuses
	"provisional": {"临时", "provisional"},
	"final":       {"最终", "final"},
	"corrected":   {"已更正", "corrected"},
	// problem lists
	"inspection":        {"巡视巡察", "inspection"},
	"supervision":       {"督查督办", "supervision"},
	"audit":             {"审计", "audit"},
	"security":          {"安全", "security"},
	"production_safety": {"安全生产", "production safety"},
	"natural_disaster":  {"自然灾害", "natural disaster"},
	"public_opinion":    {"舆情", "public opinion"},
	"public_complaint":  {"信访投诉", "public complaint"},
	// severities
	"minor":    {"轻微", "minor"},
	"moderate": {"一般", "moderate"},
	"serious":  {"严重", "serious"},
	"normal":   {"一般", "normal"},
	"major":    {"重大", "major"},
	// columns and labels
	"rank":           {"排名", "rank"},
	"id":             {"编号", "id"},
	"name":           {"名称", "name"},
	"score":          {"得分", "score"},
	"grade":          {"等级", "grade"},
	"band":           {"案件量档次", "caseload band"},
	"labels":         {"标签", "labels"},
	"movement":       {"较上期", "since last period"},
	"previous_rank":  {"上期排名", "previous rank"},
	"period":         {"考评期", "period"},
	"level":          {"层级", "level"},
	"subject":        {"对象", "subject"},
	"parent":         {"范围（上级单位编号）", "subtree (parent unit id)"},
	"model":          {"考评模型", "model"},
	"run":            {"计算批次", "run"},
	"status":         {"状态", "status"},
	"as_of":          {"数据截至", "data as of"},
	"peers":          {"同级参评数", "peers"},
	"peer_median":    {"同级中位数", "peer median"},
	"peer_best":      {"同级最好", "peer best"},
	"value":          {"本单位", "value"},
	"indicator":      {"指标", "indicator"},
	"num_den":        {"分子/分母", "numerator/denominator"},
	"weight":         {"权重", "weight"},
	"pending":        {"未到期", "pending"},
	"trend":          {"近四期趋势", "trend over the last four periods"},
	"top10":          {"同级前十名", "top ten of the peers"},
	"misses":         {"失分明细", "misses"},
	"late_responses": {"响应超时的诉求", "complaints answered late"},
	"unresolved":     {"未按期办结的诉求", "complaints not resolved in time"},
	"dissatisfied":   {"不满意的诉求", "dissatisfied complainants"},
	"overdue_issues": {"逾期未整改的问题", "problems overdue"},
	"reopened":       {"重新打开", "reopened"},
	"tolerated":      {"容错免责事项", "tolerated errors"},
	"decision_id":    {"容错决定编号", "decision id"},
	"error_id":       {"差错编号", "error id"},
	"severity":       {"严重程度", "severity"},
	"penalty_items":  {"扣分事项", "penalty items"},
	"points":         {"扣分", "points"},
	"penalty":        {"扣分合计（封顶后）", "penalty (after the cap)"},
	"base":           {"加权基础分", "weighted base"},
	"problems":       {"问题清单（未整改与逾期）", "problems by list (open and overdue)"},
	"list":           {"清单", "list"},
	"open":           {"未整改", "open"},
	"overdue":        {"逾期", "overdue"},
	"corrections":    {"最终结果后的更正", "corrections since the final run"},
	"none":           {"无", "none"},
	"not_scored":     {"未评分", "not scored"},
	"new_entry":      {"新进", "new"},
	"up":             {"上升", "up"},
	"down":           {"下降", "down"},
	"same":           {"持平", "unchanged"},
	"rankings":       {"考评排名", "Rankings"},
	"filter":         {"筛选", "Filter"},
	"download_csv":   {"下载 CSV", "Download CSV"},
	"download_xlsx":  {"下载 Excel", "Download Excel"},
	"report":         {"述职评议报告", "Review-meeting report"},
	"report_md":      {"报告 Markdown", "Report (Markdown)"},
	"report_xlsx":    {"报告 Excel", "Report (Excel)"},
	"report_html":    {"报告（可打印）", "Report (printable)"},
	"explanation":    {"得分说明", "Explanation"},
	"run_page":       {"计算批次", "Run"},
	"diff":           {"与对照批次的差异", "Changes against the compared run"},
	"against":        {"对照批次", "compared with"},
	"before":         {"之前", "before"},
	"after":          {"之后", "after"},
	"events":         {"相关事件", "events"},
	"no_diff":        {"差异尚未生成：更正批次的差异在批次结束时生成并保存，其他批次在计分服务首次被问及时生成（GET /v1/runs/{id}/diff）。", "The diff has not been made yet: a correction run's is made and stored as the run ends, any other run's the first time the scorer is asked (GET /v1/runs/{id}/diff)."},
	"no_changes":     {"没有变化", "no changes"},
	"signin":         {"登录", "Sign in"},
	"signout":        {"退出", "Sign out"},
	"token":          {"访问令牌", "Access token"},
	"bad_token":      {"令牌无效", "Unknown token"},
	"signed_in_as":   {"当前用户", "Signed in as"},
	"subtree_only":   {"仅可查看本单位及下级", "sees its own subtree only"},
	"forbidden":      {"无权查看", "Not allowed"},
	"not_found":      {"未找到", "Not found"},
	"bad_request":    {"请求有误", "Bad request"},
	"error":          {"出错了", "Something went wrong"},
	"prev_page":      {"上一页", "previous"},
	"next_page":      {"下一页", "next"},
	"all_levels":     {"全部层级", "all levels"},
	"unit_of":        {"所属单位", "unit"},
	"path":           {"上级", "above"},
	"generated":      {"生成时间", "made at"},
	"cover":          {"说明", "About"},
	"rank_of":        {"第 %d 名 / 共 %d", "rank %d of %d"},
	"title_app":      {"考评", "kaoping"},
	"other_lang":     {"English", "中文"},
}

// GradeColour is the fill of a grade (RGB hex without #), the same on pages,
// in sheets and in the printed report: green, blue, amber, red; "" for none.
func GradeColour(grade string) string {
	switch grade {
	case "excellent":
		return "C6EFCE"
	case "good":
		return "DDEBF7"
	case "basic":
		return "FFEB9C"
	case "poor":
		return "FFC7CE"
	}
	return ""
}

// Has reports whether key is in the table.
func Has(key string) bool {
	_, ok := table[key]
	return ok
}
