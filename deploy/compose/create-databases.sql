-- One database per service: no agency reads another's store.
CREATE DATABASE settlement;
CREATE DATABASE education;
CREATE DATABASE employment;
CREATE DATABASE volunteering;
