package admin

// Actor is who makes a change: the admin token's name and id (0 for the bootstrap token).
type Actor struct {
	Name    string
	TokenID int64
}

// Bootstrap is the actor of the bootstrap admin token (HALYARD_ADMIN_TOKEN).
var Bootstrap = Actor{Name: "bootstrap"}
