"""Charts drawn as plain lines of text: computed once per change of data or size, cheap to repaint."""
