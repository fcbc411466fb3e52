package wizard

import "github.com/crdb-logexport/crdb-logexport/wizard/kit"

// Styles are the interface's styles (package kit).
type Styles = kit.Styles

func newStyles() *Styles { return kit.NewStyles() }

// Glyphs of the checklist and of outcomes.
const (
	glyphDone    = kit.GlyphDone
	glyphFailed  = kit.GlyphFailed
	glyphCurrent = kit.GlyphCurrent
	glyphPending = kit.GlyphPending
	glyphWarn    = kit.GlyphWarn
)
