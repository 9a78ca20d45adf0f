"""Members of the public: finding the one a form, a button or a command is about."""
