package shell

import (
	"fmt"
	"reflect"

	tea "charm.land/bubbletea/v2"
)

var cmdType = reflect.TypeOf(tea.Cmd(nil))

// Exec runs cmd on a goroutine of its own and hands what it returns to
// Deliver: how a program is driven without Bubble Tea's runtime (the
// accessible driver, the tests' harness).
func Exec(cmd tea.Cmd, send func(tea.Msg)) {
	if cmd == nil {
		return
	}
	go func() { Deliver(cmd(), send) }()
}

// Deliver unpacks what a command returned as Bubble Tea would: a batch's
// commands run concurrently, a sequence's in order, and every other
// message goes to send.
func Deliver(msg tea.Msg, send func(tea.Msg)) {
	if msg == nil {
		return
	}
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			Exec(c, send)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		for i := 0; i < v.Len(); i++ {
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				Deliver(c(), send)
			}
		}
		return
	}
	send(msg)
}

// Runtime names the messages only Bubble Tea's runtime and a screen act
// on — "size" (a request for the window's size), "screen" (colours, the
// clipboard, the cursor's blink) — and "" for the program's own.
func Runtime(msg tea.Msg) string {
	switch fmt.Sprintf("%T", msg) {
	case "tea.windowSizeMsg":
		return "size"
	case "tea.backgroundColorMsg", "tea.setClipboardMsg", "cursor.BlinkMsg", "cursor.initialBlinkMsg":
		return "screen"
	}
	return ""
}
