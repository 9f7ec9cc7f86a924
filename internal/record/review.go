package record

import "time"

// Reviewer decisions on a run record (Review.Decision): what a person who
// read the record concluded.
const (
	ReviewApproved         = "approved"
	ReviewChangesRequested = "changes_requested"
	ReviewIncident         = "incident"
)

// ReviewDecisions lists the reviewer decisions, in the order a form
// offers them.
var ReviewDecisions = []string{ReviewApproved, ReviewChangesRequested, ReviewIncident}

// MaxReviewCommentBytes bounds a reviewer's comment.
const MaxReviewCommentBytes = 4096

// Review is a reviewer's decision on a session's run record, with who made
// it and when. A session has at most one: a later decision replaces it.
type Review struct {
	SessionID string `json:"session_id"`
	// Decision is one of ReviewDecisions.
	Decision string `json:"decision"`
	Comment  string `json:"comment,omitempty"`
	// Reviewer identifies who decided: the token that signed in to the
	// console ("token:tok_... (name)").
	Reviewer string    `json:"reviewer"`
	Time     time.Time `json:"time"`
}
