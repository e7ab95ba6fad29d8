package sheet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestSheetName(t *testing.T) {
	for in, want := range map[string]string{"街道乡镇": "街道乡镇", "a/b:c*d?e[f]g\\h": "a_b_c_d_e_f_g_h", "": "Sheet",
		strings.Repeat("长", 40): strings.Repeat("长", 31)} {
		if got := SheetName(in); got != want {
			t.Errorf("SheetName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWrite: an empty table still has its header; numbers keep their formats.
func TestWrite(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, []Table{
		{Name: "空", Columns: []Column{{Title: "名称"}, {Title: "得分", Format: Score}}},
		{Name: "数", Columns: []Column{{Title: "值", Format: Ratio}, {Title: "排名", Format: Int}}, Rows: [][]any{{0.5, 3}, {nil, nil}}},
	}, Info{Name: "说明", Rows: [][2]string{{"计算批次", "r1"}}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "空,数,说明" {
		t.Fatalf("sheets %s", got)
	}
	empty, _ := f.GetRows("空")
	nums, _ := f.GetRows("数")
	if len(empty) != 1 || strings.Join(empty[0], ",") != "名称,得分" || strings.Join(nums[1], ",") != "0.5000,3" || len(nums) != 2 {
		t.Errorf("rows %q %q", empty, nums)
	}
}
