CREATE TABLE pet (
    name TEXT NOT NULL,
    owner INTEGER NOT NULL REFERENCES friend(id)
);
