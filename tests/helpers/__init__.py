"""What several test modules share: the local HTTP server, the site of real pages, feed
documents, store records, and the running of real worker processes."""
