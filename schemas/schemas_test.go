package schemas_test

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chatflow/chatflow/contextstore"
	"github.com/chatflow/chatflow/schemas"
)

func TestEverySchemaCompiles(t *testing.T) {
	err := fs.WalkDir(schemas.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		if _, err := schemas.Compile(p, schemas.MustRead(p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEntitySchemasMatchGoTypes keeps the documented entity schemas and the
// Go types that expressions are type-checked against in step.
func TestEntitySchemasMatchGoTypes(t *testing.T) {
	types := map[string]reflect.Type{
		"ConversationInfo": reflect.TypeFor[contextstore.ConversationInfo](),
		"ChatUser":         reflect.TypeFor[contextstore.ChatUser](),
		"ChatActivityData": reflect.TypeFor[contextstore.ChatActivityData](),
		"AgentFeedback":    reflect.TypeFor[contextstore.AgentFeedback](),
		"HelpdeskClient":   reflect.TypeFor[contextstore.HelpdeskClient](),
	}
	names := schemas.Entities()
	slices.Sort(names)
	want := []string{"AgentFeedback", "ChatActivityData", "ChatUser", "ConversationInfo", "HelpdeskClient"}
	if !slices.Equal(names, want) {
		t.Fatalf("entity schemas = %v, want %v", names, want)
	}
	for name, typ := range types {
		var doc struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(schemas.MustRead("entities/"+name+".json"), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var fields []string
		for i := range typ.NumField() {
			fields = append(fields, typ.Field(i).Name)
		}
		var props []string
		for p := range doc.Properties {
			props = append(props, p)
		}
		slices.Sort(fields)
		slices.Sort(props)
		if !slices.Equal(fields, props) {
			t.Errorf("%s: schema properties %v, Go fields %v", name, props, fields)
		}
	}
}

func TestApplyDefaultsAndProblems(t *testing.T) {
	s, err := schemas.Compile("a", schemas.MustRead("actions/HelpdeskClient.IsBlockedForLiveChat.json"))
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{"BlockReason": "spam"}
	schemas.ApplyDefaults(s, v)
	want := map[string]any{"BlockReason": "spam", "BlockIntervalMinutes": json.Number("1440"), "SaveToChatActivityData": false, "Permanent": false}
	if got, _ := json.Marshal(v); string(got) != mustJSON(t, want) {
		t.Errorf("defaults: got %s, want %s", got, mustJSON(t, want))
	}
	err = s.Validate(map[string]any{"BlockIntervalMinutes": 0.0, "BlockReason": 3.0, "Extra": true})
	got := schemas.Problems(err)
	wantP := []schemas.Problem{
		{Pointer: "", Message: "additionalProperties 'Extra' not allowed"},
		{Pointer: "/BlockIntervalMinutes", Message: "must be >= 1 but found 0"},
		{Pointer: "/BlockReason", Message: "expected string, but got number"},
	}
	slices.SortFunc(got, func(a, b schemas.Problem) int { return strings.Compare(a.Pointer, b.Pointer) })
	if !slices.Equal(got, wantP) {
		t.Errorf("problems:\n got %q\nwant %q", got, wantP)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
