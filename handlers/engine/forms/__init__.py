"""Forms: a form is data (typed steps), run one question at a time or filled whole."""
