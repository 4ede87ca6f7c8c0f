DROP TABLE friend;
