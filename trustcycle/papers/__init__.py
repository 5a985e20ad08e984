"""Papers: assembling drafts into papers, sign-off, and the papers' mail."""
