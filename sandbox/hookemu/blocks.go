package hookemu

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit's limits, as Slack documents them.
const (
	maxBlocks          = 50
	maxBlockID         = 255
	maxHeaderText      = 150
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxContextElements = 10
)

// otherBlockTypes are the other layout blocks Slack accepts in a message;
// they are not inspected further.
var otherBlockTypes = map[string]bool{
	"actions": true, "image": true, "input": true, "file": true, "rich_text": true, "video": true, "markdown": true,
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type block struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	Text     *textObject       `json:"text"`
	Fields   []textObject      `json:"fields"`
	Elements []json.RawMessage `json:"elements"`
}

// checkBlocks says what is wrong with a message's blocks, "" when nothing
// is: the checks Slack makes before answering invalid_blocks.
func checkBlocks(raw []json.RawMessage) string {
	if len(raw) > maxBlocks {
		return fmt.Sprintf("%d blocks, more than %d", len(raw), maxBlocks)
	}
	for i, r := range raw {
		var b block
		if err := json.Unmarshal(r, &b); err != nil {
			return fmt.Sprintf("blocks[%d]: %v", i, err)
		}
		if utf8.RuneCountInString(b.BlockID) > maxBlockID {
			return fmt.Sprintf("blocks[%d].block_id is longer than %d", i, maxBlockID)
		}
		if problem := checkBlock(b); problem != "" {
			return fmt.Sprintf("blocks[%d] (%s): %s", i, b.Type, problem)
		}
	}
	return ""
}

func checkBlock(b block) string {
	switch b.Type {
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" {
			return "a header's text must be a plain_text object"
		}
		return checkText(*b.Text, maxHeaderText)
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return "a section needs text or fields"
		}
		if b.Text != nil {
			if problem := checkText(*b.Text, maxSectionText); problem != "" {
				return problem
			}
		}
		if len(b.Fields) > maxSectionFields {
			return fmt.Sprintf("%d fields, more than %d", len(b.Fields), maxSectionFields)
		}
		for _, f := range b.Fields {
			if problem := checkText(f, maxFieldText); problem != "" {
				return "field: " + problem
			}
		}
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > maxContextElements {
			return fmt.Sprintf("a context needs 1 to %d elements, not %d", maxContextElements, len(b.Elements))
		}
		for _, e := range b.Elements {
			var t textObject
			if err := json.Unmarshal(e, &t); err != nil {
				return err.Error()
			}
			if t.Type == "image" {
				continue
			}
			if problem := checkText(t, maxSectionText); problem != "" {
				return problem
			}
		}
	case "divider":
	default:
		if !otherBlockTypes[b.Type] {
			return "unknown block type"
		}
	}
	return ""
}

func checkText(t textObject, limit int) string {
	switch {
	case t.Type != "plain_text" && t.Type != "mrkdwn":
		return fmt.Sprintf("text type %q is neither plain_text nor mrkdwn", t.Type)
	case t.Text == "":
		return "empty text"
	case utf8.RuneCountInString(t.Text) > limit:
		return fmt.Sprintf("text of %d characters, more than %d", utf8.RuneCountInString(t.Text), limit)
	}
	return ""
}
