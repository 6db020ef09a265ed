#!/bin/sh
echo task
